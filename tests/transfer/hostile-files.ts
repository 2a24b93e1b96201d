/**
 * Files shaped to make a parser take time in the square of their size: each once held
 * the regular-expression parser for seconds per 100 KB (issue 17). `n` is about the
 * file's length in characters. Shared by the growth test and the fuzz generators.
 */
export const HOSTILE_FILES: Record<string, (n: number) => string> = {
  'a long attribute run without "="': (n) => `<DT><A HREF="https://x.example/" ${'a'.repeat(n)}>x</A>`,
  'many "<" without ">"': (n) => `<DT><A HREF="https://x.example/">${'<'.repeat(n)}</A>`,
  'many unclosed <h3>': (n) => '<h3>'.repeat(Math.ceil(n / 4)),
  'many unclosed <a>': (n) => '<a href="https://x.example/">x'.repeat(Math.ceil(n / 30)),
  'deeply nested <DL>': (n) => '<DL><p>'.repeat(Math.ceil(n / 14)) + '<DT><A HREF="https://x.example/">x</A>'.repeat(Math.ceil(n / 70)),
  'deeply nested folders': (n) => '<DT><H3>f</H3><DL><p>'.repeat(Math.ceil(n / 40)) + '<DT><A HREF="https://x.example/">x</A>'.repeat(Math.ceil(n / 80)),
};
