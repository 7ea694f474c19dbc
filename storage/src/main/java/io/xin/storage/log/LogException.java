package io.xin.storage.log;

/**
 * A log could not be written, forced, read or opened. Writes after a failed write or force are refused: what
 * follows the failure may not be on disk.
 */
public final class LogException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public LogException(final String message)
    {
        super(message);
    }

    public LogException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
