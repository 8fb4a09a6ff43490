// npm run export -- --model FILE --to pytorch|onnx --out OUT: a trained model (ours, or any file the CLIs
// read) in another framework's format (src/io/export-formats.ts): a PyTorch state_dict that
// `safetensors.torch.load_file` + `load_state_dict` read into nn.LSTM + nn.Linear, or an ONNX graph of
// standard operators that ONNX Runtime runs as it is (README: the snippets, and the inputs each is fed).
import { writeFileAtomic } from '../io/atomic-file.ts';
import { exportModel } from '../io/export-formats.ts';
import { readModelFile } from './model-input.ts';
import { exportUsage, parseExportArgs } from './args.ts';
import { runMain } from './output.ts';

runMain(async () => {
  const opts = parseExportArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(exportUsage);
    return;
  }
  const { config, params, task } = await readModelFile(opts.model);
  const { bytes, description } = await exportModel(opts.to, config, params, task);
  await writeFileAtomic(opts.out, bytes);
  process.stdout.write(`Wrote ${opts.out}: ${description}\n`);
});
