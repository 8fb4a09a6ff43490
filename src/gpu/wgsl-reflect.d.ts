// wgsl_reflect 1.6.0's package.json says ESM but its main is CommonJS, which breaks in Node; its ESM build
// is imported by path, and this shim gives that path the package's own types.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
