package org.stablesoftmax.job;

/**
 * Bad usage or bad input (a missing path, a wrong column type, ...): the message is one sentence
 * naming the path or column and what was found, shown as is; the exit code is 2.
 */
public final class UserError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public UserError(String message) {
    super(message);
  }

  public UserError(String message, Throwable cause) {
    super(message, cause);
  }
}
