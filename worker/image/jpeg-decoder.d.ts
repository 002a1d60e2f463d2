/**
 * jpeg-js's decoder module on its own (lib/decoder.js, CommonJS `module.exports = decode`), which
 * the package's typings do not cover: the same function as the package's `decode`.
 */
declare module 'jpeg-js/lib/decoder.js' {
  const decode: typeof import('jpeg-js').decode;
  export default decode;
}
