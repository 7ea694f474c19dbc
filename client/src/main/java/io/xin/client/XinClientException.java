package io.xin.client;

import io.xin.protocol.pb.ErrorCode;

import java.util.Objects;

/**
 * A request or the connection failed. {@link #code()} is the server's {@link ErrorCode} when the
 * server refused something (LoginError, Error), and {@link ErrorCode#ERROR_CODE_UNSPECIFIED} when
 * the client gave up for its own reasons (transport failure, connection lost before login, client
 * closed, session kicked); the message says which.
 */
public final class XinClientException extends RuntimeException
{
    private final ErrorCode code;
    private final int retryAfterMs;

    /**
     * @param code    the server's error code, or {@link ErrorCode#ERROR_CODE_UNSPECIFIED}.
     * @param message what happened.
     */
    public XinClientException(final ErrorCode code, final String message)
    {
        this(code, message, 0);
    }

    /**
     * @param code         the server's error code.
     * @param message      what happened.
     * @param retryAfterMs the server's retry_after_ms (RATE_LIMITED, BUSY), 0 when it gave none.
     */
    public XinClientException(final ErrorCode code, final String message, final int retryAfterMs)
    {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
        this.retryAfterMs = retryAfterMs;
    }

    /**
     * @param code    the server's error code, or {@link ErrorCode#ERROR_CODE_UNSPECIFIED}.
     * @param message what happened.
     * @param cause   the underlying failure.
     */
    public XinClientException(final ErrorCode code, final String message, final Throwable cause)
    {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
        this.retryAfterMs = 0;
    }

    /**
     * The server's error code, or {@link ErrorCode#ERROR_CODE_UNSPECIFIED} for a client-side failure.
     *
     * @return the error code, never null.
     */
    public ErrorCode code()
    {
        return code;
    }

    /**
     * How long the server asked to wait before trying again (a RATE_LIMITED discovery, say), 0 when it did not.
     *
     * @return milliseconds, 0 or more.
     */
    public int retryAfterMs()
    {
        return retryAfterMs;
    }

    @Override
    public String toString()
    {
        return "XinClientException{code=" + code + ", message=" + getMessage() +
            (retryAfterMs > 0 ? ", retryAfterMs=" + retryAfterMs : "") + '}';
    }
}
