// The one libmime function the web service uses (libmime ships no type declarations;
// it is CommonJS, so it is imported as a default export).
declare module 'libmime' {
  const libmime: { decodeWords(text: string): string };
  export default libmime;
}
