import { printParseErrorCode, visit } from 'jsonc-parser';

/** Plain words for jsonc-parser's error codes. */
const SYNTAX_ERRORS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'expected a property name in double quotes (trailing comma?)',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":"',
  CommaExpected: 'expected "," between items',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  EndOfFileExpected: 'unexpected text after the end of the document',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'unterminated string',
  InvalidUnicode: 'malformed \\u escape',
  InvalidEscapeCharacter: 'malformed escape sequence',
  InvalidCharacter: 'control character inside a string (write it as an escape)',
};

export interface JsonSyntaxError {
  /** 0-based offset into the text. */
  offset: number;
  /** What was expected there, in words; never any of the text itself. */
  expected: string;
}

/**
 * Where JSON text first breaks and what was expected, for a report. JSON.parse's own message quotes the
 * text around the error, which would echo whatever file was imported by mistake (a key file, a password
 * file) into a log or the UI, so it is never used.
 */
export function jsonSyntaxError(text: string): JsonSyntaxError {
  let first: { code: string; offset: number } | undefined;
  visit(
    text,
    { onError: (error, offset) => void (first ??= { code: printParseErrorCode(error), offset }) },
    { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
  );
  if (!first) return { offset: 0, expected: 'not valid JSON' };
  return { offset: first.offset, expected: SYNTAX_ERRORS[first.code] ?? 'not valid JSON' };
}
