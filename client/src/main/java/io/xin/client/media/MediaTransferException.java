package io.xin.client.media;

import java.io.IOException;

/**
 * An upload or a download gave up: the media server refused it for good (a 4xx that retrying cannot fix), or the
 * retries ran out. {@link #status()} is the HTTP status of the last answer, 0 when the last attempt got none
 * (connection refused, dropped, timed out).
 */
public final class MediaTransferException extends IOException
{
    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param status  the HTTP status of the last answer, 0 if none.
     * @param message what failed.
     * @param cause   the last failure, or null.
     */
    public MediaTransferException(final int status, final String message, final Throwable cause)
    {
        super(message, cause);
        this.status = status;
    }

    /**
     * @return the HTTP status of the last answer, 0 when there was none.
     */
    public int status()
    {
        return status;
    }
}
