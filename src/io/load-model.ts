// Any model file as our model: a Keras HDF5 file (keras.ts; h5wasm loads only then) or a safetensors file,
// ours or a PyTorch state_dict (model-file.ts). For the CLIs and the page alike: bytes in, no file system.
import { UserError } from '../user-error.ts';
import { isHdf5, kerasModel } from './keras.ts';
import { type LoadedModel, loadModelBytes } from './model-file.ts';

const isZip = (bytes: Uint8Array): boolean => bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;

export async function loadAnyModelBytes(bytes: Uint8Array, fileName: string): Promise<LoadedModel> {
  if (isHdf5(bytes)) return kerasModel(bytes, fileName);
  if (isZip(bytes)) {
    throw new UserError(`${fileName}: a zip archive, as Keras 3 saves a .keras model: its weights are the model.weights.h5 inside; extract it (unzip ${fileName} model.weights.h5) and pass that file`);
  }
  return loadModelBytes(bytes, fileName);
}
