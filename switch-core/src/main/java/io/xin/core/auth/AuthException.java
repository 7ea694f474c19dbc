package io.xin.core.auth;

import io.xin.protocol.pb.ErrorCode;

/**
 * A token was refused; {@link #code()} is what the client is told.
 */
public final class AuthException extends Exception
{
    private static final long serialVersionUID = 1L;

    private final transient ErrorCode code;

    public AuthException(final ErrorCode code, final String message)
    {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code()
    {
        return code;
    }
}
