// The --model file of the CLIs that read one (eval, sample, export, train --init): read and decoded (ours, a
// PyTorch state_dict or a Keras HDF5 file: src/io/load-model.ts), or one clear error saying what to pass.
import { readFile } from 'node:fs/promises';
import { loadAnyModelBytes } from '../io/load-model.ts';
import type { LoadedModel } from '../io/model-file.ts';
import { UserError } from '../user-error.ts';

/** `written`: the command that writes such a file, for the message. */
export async function readModelFile(path: string, written = 'npm run train -- --out FILE'): Promise<LoadedModel> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new UserError(`--model ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Pass a model saved by \`${written}\`.`);
  }
  const loaded = await loadAnyModelBytes(bytes, path);
  // Tensors read from float16, bfloat16 or float64 are said so, once, beside the command's own output.
  if (loaded.conversion) process.stderr.write(`note: ${path}: ${loaded.conversion}\n`);
  return loaded;
}
