package io.xin.client.media;

/**
 * Media bytes are not what they claim to be: a download whose SHA-256 is not its {@code blob_key}, whose size is
 * not the {@code MediaRef}'s, or an encrypted blob whose GCM tag does not verify under its key. Never retried: the
 * bytes were altered, or the reference is wrong.
 */
public final class MediaIntegrityException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what did not match.
     */
    public MediaIntegrityException(final String message)
    {
        super(message);
    }

    /**
     * @param message what did not match.
     * @param cause   the underlying failure.
     */
    public MediaIntegrityException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
