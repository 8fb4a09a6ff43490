// The --model file of the CLIs that read one (eval, sample, export): read and decoded (ours, or a PyTorch
// state_dict: src/io/model-file.ts), or one clear error saying what to pass.
import { readFile } from 'node:fs/promises';
import { loadModelBytes } from '../io/model-file.ts';
import { UserError } from '../user-error.ts';

/** `written`: the command that writes such a file, for the message. */
export async function readModelFile(path: string, written = 'npm run train -- --out FILE'): Promise<ReturnType<typeof loadModelBytes>> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new UserError(`--model ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Pass a model saved by \`${written}\`.`);
  }
  return loadModelBytes(bytes, path);
}
