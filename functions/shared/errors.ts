/** An error that carries its HTTP status; the error middleware turns it into `{error, fields}`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class Invalid extends HttpError {
  constructor(message: string, fields?: Record<string, string>) {
    super(400, message, fields);
  }
}

export class Forbidden extends HttpError {
  constructor(message = 'not allowed') {
    super(403, message);
  }
}

export class NotFound extends HttpError {
  constructor(what: string, id: string) {
    super(404, `${what} ${id} not found`);
  }
}

export class Conflict extends HttpError {
  constructor(message: string) {
    super(409, message);
  }
}

/** A body in another format than the API's (JSON), or one that does not say it is JSON. */
export class UnsupportedMediaType extends HttpError {
  constructor(message: string) {
    super(415, message, { 'content-type': 'must be application/json' });
  }
}

/** A dependency (Scheduler, Secrets Manager…) refused or failed; the message says which and why. */
export class Upstream extends HttpError {
  constructor(message: string) {
    super(502, message);
  }
}
