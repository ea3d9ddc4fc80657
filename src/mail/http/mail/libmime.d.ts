// The one libmime function the web service uses (libmime ships no type declarations).
declare module 'libmime' {
  export function decodeWords(text: string): string;
}
