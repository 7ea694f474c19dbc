package io.xin.core.media;

import io.xin.media.AppendResult;
import io.xin.media.BlobInfo;
import io.xin.media.ByteRange;
import io.xin.media.MediaStore;
import io.xin.media.UploadRequest;
import io.xin.media.UploadStatus;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A media store that passes every call to another, except that once {@link #close(int)} is called the next {@code
 * stat}s wait until {@link #open()}: a reference check held on the media thread for as long as a test needs, with no
 * sleep.
 */
public final class GatedMediaStore implements MediaStore
{
    private final MediaStore store;
    private volatile CountDownLatch entered = new CountDownLatch(0);
    private volatile CountDownLatch gate = new CountDownLatch(0);

    public GatedMediaStore(final MediaStore store)
    {
        this.store = store;
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

    @Override
    public String createUpload(final UploadRequest request)
    {
        return store.createUpload(request);
    }

    @Override
    public long offset(final String uploadId)
    {
        return store.offset(uploadId);
    }

    @Override
    public Optional<UploadStatus> upload(final String uploadId)
    {
        return store.upload(uploadId);
    }

    @Override
    public AppendResult append(final String uploadId, final long offset, final ByteBuffer chunk)
    {
        return store.append(uploadId, offset, chunk);
    }

    @Override
    public AppendResult append(final String uploadId, final long offset, final InputStream chunk) throws IOException
    {
        return store.append(uploadId, offset, chunk);
    }

    @Override
    public boolean deleteUpload(final String uploadId)
    {
        return store.deleteUpload(uploadId);
    }

    @Override
    public List<String> expiredUploads(final Instant before)
    {
        return store.expiredUploads(before);
    }

    @Override
    public InputStream read(final String blobId, final ByteRange range)
    {
        return store.read(blobId, range);
    }

    @Override
    public boolean deleteBlob(final String blobId)
    {
        return store.deleteBlob(blobId);
    }

    @Override
    public long usage(final long ownerId)
    {
        return store.usage(ownerId);
    }

    @Override
    public boolean touch(final String blobId, final Instant at)
    {
        return store.touch(blobId, at);
    }

    @Override
    public List<String> unreferencedSince(final Instant before, final int limit)
    {
        return store.unreferencedSince(before, limit);
    }

    @Override
    public Optional<URI> presignedRead(final String blobId, final Instant expiresAt)
    {
        return store.presignedRead(blobId, expiresAt);
    }

    @Override
    public void close()
    {
        open();
        store.close();
    }
}
