package io.xin.core.media;

import io.xin.media.BlobInfo;
import io.xin.media.ForwardingMediaStore;
import io.xin.media.MediaStore;

import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A media store that passes every call to another, except that once {@link #close(int)} is called the next {@code
 * stat}s wait until {@link #open()}: a reference check held on the media thread for as long as a test needs, with no
 * sleep.
 */
public final class GatedMediaStore extends ForwardingMediaStore
{
    private volatile CountDownLatch entered = new CountDownLatch(0);
    private volatile CountDownLatch gate = new CountDownLatch(0);

    public GatedMediaStore(final MediaStore store)
    {
        super(store);
    }

    /** The next {@code stats} stats wait at the gate. */
    public void close(final int stats)
    {
        entered = new CountDownLatch(stats);
        gate = new CountDownLatch(1);
    }

    /**
     * @return true once that many stats wait at the gate, within the time given.
     */
    public boolean awaitWaiting(final long timeoutMs) throws InterruptedException
    {
        return entered.await(timeoutMs, TimeUnit.MILLISECONDS);
    }

    public void open()
    {
        gate.countDown();
    }

    @Override
    public Optional<BlobInfo> stat(final String blobId)
    {
        final CountDownLatch waiting = entered;
        final CountDownLatch closed = gate;
        if (waiting.getCount() > 0)
        {
            waiting.countDown();
            try
            {
                if (!closed.await(60, TimeUnit.SECONDS))
                {
                    throw new IllegalStateException("the gate was never opened");
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
        }
        return store.stat(blobId);
    }
}
