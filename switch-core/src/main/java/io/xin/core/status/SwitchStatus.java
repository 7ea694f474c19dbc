package io.xin.core.status;

/**
 * Switch-wide state every thread reads: draining (stop taking new work) and storage failed
 * (stop acknowledging). Both only ever go from false to true.
 */
public final class SwitchStatus
{
    private volatile boolean draining;
    private volatile boolean storageFailed;
    private volatile Throwable storageFailure;

    public boolean isDraining()
    {
        return draining;
    }

    public void startDraining()
    {
        draining = true;
    }

    public boolean isStorageFailed()
    {
        return storageFailed;
    }

    public Throwable storageFailure()
    {
        return storageFailure;
    }

    /**
     * Called by the journal thread when a batch write fails. Irreversible: a switch whose
     * storage failed never acknowledges again and must be restarted.
     */
    public void storageFailed(final Throwable cause)
    {
        storageFailure = cause;
        storageFailed = true;
    }

    /** Ready for new sessions: neither draining nor failed. */
    public boolean isReady()
    {
        return !draining && !storageFailed;
    }
}
