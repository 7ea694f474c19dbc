package io.xin.core.media;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock a test moves by hand, so expiries are tested without waiting. */
public final class MovingClock extends Clock
{
    private volatile Instant now;

    public MovingClock(final Instant start)
    {
        this.now = start;
    }

    public void advance(final Duration by)
    {
        now = now.plus(by);
    }

    @Override
    public Instant instant()
    {
        return now;
    }

    @Override
    public ZoneId getZone()
    {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(final ZoneId zone)
    {
        return this;
    }
}
