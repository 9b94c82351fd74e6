/**
 * An error the Lambda API itself answers (not a function error), in Lambda's own terms:
 * the HTTP status and the `x-amzn-ErrorType` that AWS SDKs turn into exception classes.
 */
export class LambdaApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly errorType: string,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
    this.name = errorType;
  }

  body(): Record<string, string> {
    return { Type: this.statusCode >= 500 ? 'Service' : 'User', message: this.message, ...this.extra };
  }
}

export const functionArn = (name: string): string => `arn:aws:lambda:local:000000000000:function:${name}`;

export function functionNotFound(name: string): LambdaApiError {
  return new LambdaApiError(404, 'ResourceNotFoundException', `Function not found: ${functionArn(name)}`);
}
