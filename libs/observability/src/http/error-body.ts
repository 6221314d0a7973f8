/** The one error shape every HTTP route returns. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  correlationId?: string;
  /** Present on 500s only: quote it to operators, who find the details in the logs under it. */
  errorId?: string;
}
