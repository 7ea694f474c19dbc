package io.xin.media;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Gives its bytes, then fails as a socket does when the peer is gone: a PATCH body cut mid-way.
 */
public final class DroppingStream extends InputStream
{
    private final ByteArrayInputStream bytes;

    public DroppingStream(final byte[] bytes)
    {
        this.bytes = new ByteArrayInputStream(bytes);
    }

    @Override
    public int read() throws IOException
    {
        final int b = bytes.read();
        if (b < 0)
        {
            throw new IOException("Connection reset");
        }
        return b;
    }

    @Override
    public int read(final byte[] buffer, final int offset, final int length) throws IOException
    {
        final int n = bytes.read(buffer, offset, length);
        if (n < 0)
        {
            throw new IOException("Connection reset");
        }
        return n;
    }
}
