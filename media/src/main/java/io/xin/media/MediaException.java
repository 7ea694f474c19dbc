package io.xin.media;

/**
 * A media store operation was refused or failed. {@link #reason()} says which, so a caller (an HTTP handler, a
 * frame handler) can map it to its own status without parsing the message; the message says why in words.
 */
public final class MediaException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * Why an operation was refused or failed.
     */
    public enum Reason
    {
        /** An argument from outside is malformed: an id, a hash, a content type, a size, an expiry. */
        INVALID_ARGUMENT,
        /** No upload or blob has that id (or it has gone: completed, expired and removed, deleted). */
        NOT_FOUND,
        /** A chunk was offered at an offset other than the upload's current one. */
        WRONG_OFFSET,
        /** The declared size is over the limit of its content type, or a chunk goes past the declared size. */
        TOO_LARGE,
        /** The owner already has the most uploads in progress the limits allow. */
        TOO_MANY_UPLOADS,
        /** The upload's expiry has passed: it takes no more bytes and waits for cleanup. */
        EXPIRED,
        /** The bytes of a finished upload do not hash to the declared SHA-256: the upload is discarded. */
        HASH_MISMATCH,
        /** A byte range is negative, reversed or goes past the end of the blob. */
        INVALID_RANGE,
        /** The store's own files could not be read or written. */
        STORAGE
    }

    private final Reason reason;

    public MediaException(final Reason reason, final String message)
    {
        super(message);
        this.reason = reason;
    }

    public MediaException(final Reason reason, final String message, final Throwable cause)
    {
        super(message, cause);
        this.reason = reason;
    }

    /**
     * @return why the operation was refused or failed.
     */
    public Reason reason()
    {
        return reason;
    }
}
