import type { Credentials } from '../credentials/credentials.js';
import { accountOfRoleArn, credentialsDocument } from './credentials-document.js';

/** A 200 answer rendered once: its body and its headers, ready for `res.writeHead` (a flat name/value array). */
export interface RenderedAnswer {
  /**
   * A text of ASCII characters stays a string, to be written as `latin1` (its bytes are its characters): Node then
   * sends the head and the body as one chunk, where a Buffer body goes out as a chunk of its own (a measurable share
   * of a keep-alive request, docs/performance.md). Every answer is ASCII in practice (STS's values, role names);
   * any other text is its UTF-8 bytes.
   */
  readonly body: string | Buffer;
  readonly headers: readonly string[];
}

/** Answers that stay the same for many requests, rendered once and then served from memory. */
export interface RenderedAnswers {
  /** The credentials document; the extended form (with `AccountId`) when `roleArn` is given. */
  credentials(credentials: Credentials, roleArn: string | undefined): RenderedAnswer;
  /** A text/plain answer (a role name). */
  text(body: string): RenderedAnswer;
}

interface ForCredentials {
  classic?: RenderedAnswer;
  extended?: { readonly accountId: string | undefined; readonly answer: RenderedAnswer };
}

/** Texts and accounts remembered at most; past this the memo starts over (role names are few; this bounds a flood). */
const MAX_MEMO = 4096;

/**
 * Renders each credentials document once per issued credentials (they are immutable; a WeakMap keyed by them
 * forgets them with the entry), instead of once per request. Headers are those Koa sends for the same body.
 */
export function createRenderedAnswers(): RenderedAnswers {
  const documents = new WeakMap<Credentials, ForCredentials>();
  const texts = new Map<string, RenderedAnswer>();
  const accounts = new Map<string, string | undefined>();
  const accountOf = (roleArn: string): string | undefined => {
    if (accounts.has(roleArn)) return accounts.get(roleArn);
    if (accounts.size >= MAX_MEMO) accounts.clear();
    const accountId = accountOfRoleArn(roleArn);
    accounts.set(roleArn, accountId);
    return accountId;
  };
  return {
    credentials(credentials, roleArn) {
      let rendered = documents.get(credentials);
      if (!rendered) {
        rendered = {};
        documents.set(credentials, rendered);
      }
      if (roleArn === undefined) return (rendered.classic ??= answer(credentialsDocument(credentials), JSON_TYPE));
      const accountId = accountOf(roleArn);
      if (!rendered.extended || rendered.extended.accountId !== accountId) rendered.extended = { accountId, answer: answer(credentialsDocument(credentials, accountId), JSON_TYPE) };
      return rendered.extended.answer;
    },
    text(body) {
      let rendered = texts.get(body);
      if (!rendered) {
        if (texts.size >= MAX_MEMO) texts.clear();
        rendered = answer(body, TEXT_TYPE);
        texts.set(body, rendered);
      }
      return rendered;
    },
  };
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

function answer(text: string, type: string): RenderedAnswer {
  const bytes = Buffer.byteLength(text);
  // Every character outside ASCII takes more UTF-8 bytes than UTF-16 code units: equal counts mean ASCII only.
  const body = bytes === text.length ? text : Buffer.from(text);
  return { body, headers: ['Content-Type', type, 'Content-Length', String(bytes)] };
}
