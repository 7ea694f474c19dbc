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

    /**
     * @param code    the server's error code, or {@link ErrorCode#ERROR_CODE_UNSPECIFIED}.
     * @param message what happened.
     */
    public XinClientException(final ErrorCode code, final String message)
    {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
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

    @Override
    public String toString()
    {
        return "XinClientException{code=" + code + ", message=" + getMessage() + '}';
    }
}
