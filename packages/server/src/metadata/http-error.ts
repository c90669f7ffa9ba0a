/** An error meant for the client: its status and a short text safe to show. Everything else becomes a bare 500. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly publicMessage: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(publicMessage);
  }
}

export const notFound = (): HttpError => new HttpError(404, 'Not Found');
