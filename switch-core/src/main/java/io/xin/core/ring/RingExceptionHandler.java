package io.xin.core.ring;

import com.lmax.disruptor.ExceptionHandler;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last line of defence for the ring's threads: an exception that escapes a handler must neither
 * stop the thread (every later send would go unanswered) nor pass unnoticed. It is logged, and
 * since the journal's state can no longer be trusted, acknowledging stops.
 */
final class RingExceptionHandler implements ExceptionHandler<SwitchEvent>
{
    private static final Logger LOG = LoggerFactory.getLogger(RingExceptionHandler.class);

    private final SwitchStatus status;
    private final SwitchCounters counters;

    RingExceptionHandler(final SwitchStatus status, final SwitchCounters counters)
    {
        this.status = status;
        this.counters = counters;
    }

    @Override
    public void handleEventException(final Throwable ex, final long sequence, final SwitchEvent event)
    {
        counters.storageFailures.increment();
        status.storageFailed(ex);
        LOG.error("Unexpected error on the ring at sequence {} ({}): the switch stops acknowledging messages",
            sequence, event, ex);
    }

    @Override
    public void handleOnStartException(final Throwable ex)
    {
        LOG.error("Ring handler failed to start", ex);
    }

    @Override
    public void handleOnShutdownException(final Throwable ex)
    {
        LOG.error("Ring handler failed to shut down", ex);
    }
}
