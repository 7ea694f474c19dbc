package io.xin.storage;

/**
 * A storage operation failed. The message names the operation; the cause is the underlying
 * RocksDB error. A failed journal write is fatal for acknowledging: nothing in that batch is stored.
 */
public final class StorageException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public StorageException(final String operation, final Throwable cause)
    {
        super(operation + " failed: " + (cause == null ? "unknown" : cause.getMessage()), cause);
    }

    public StorageException(final String message)
    {
        super(message);
    }
}
