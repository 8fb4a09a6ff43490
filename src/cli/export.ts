// npm run export -- --model FILE --to pytorch --out OUT.safetensors: a trained model as a PyTorch
// state_dict (src/io/pytorch.ts), which `safetensors.torch.load_file` + `load_state_dict` read into
// nn.LSTM + nn.Linear (README: the snippet, and the inputs it must be fed).
import { writeFileAtomic } from '../io/atomic-file.ts';
import { readModelFile } from './model-input.ts';
import { toPytorchStateDict } from '../io/pytorch.ts';
import { encodeSafetensors } from '../io/safetensors.ts';
import { taskMetadata } from '../data/tasks.ts';
import { exportUsage, parseExportArgs } from './args.ts';
import { runMain } from './output.ts';

runMain(async () => {
  const opts = parseExportArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(exportUsage);
    return;
  }
  const { config, params, task } = await readModelFile(opts.model);
  const stateDict = toPytorchStateDict(config, params);
  // torch ignores the metadata; it says where the file came from, and the steps and task it was trained on.
  const metadata = { format: 'pt', source: 'webgpu-lstm', steps: String(config.steps), ...taskMetadata(task) };
  await writeFileAtomic(opts.out, encodeSafetensors(stateDict, metadata));
  const L = config.layers.length;
  const H = config.layers.join(', ');
  process.stdout.write(
    `Wrote ${opts.out}: a PyTorch state_dict of nn.LSTM(${config.inputSize}, ${config.layers[0]}${L > 1 ? `, num_layers=${L}` : ''}, batch_first=True) ` +
      `(hidden sizes ${H}) named lstm and nn.Linear(${config.layers[L - 1]}, ${config.classes}) named fc; the forget bias ${config.forgetBias} is folded into bias_ih.\n`,
  );
  if (new Set(config.layers).size > 1) {
    process.stdout.write('Note: its layers differ in size, which one nn.LSTM cannot hold: build one nn.LSTM per layer (lstm.*_l{k} are layer k).\n');
  }
});
