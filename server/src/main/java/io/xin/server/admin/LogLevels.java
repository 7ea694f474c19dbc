package io.xin.server.admin;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

/**
 * Reads and sets logger levels at run time, when logback is the SLF4J binding (as in the daemon).
 * Embedders with another binding get {@link #isAvailable()} false and the endpoint says so.
 */
final class LogLevels
{
    private static final int MAX_LOGGER_NAME_LENGTH = 256;
    private static final String LOGBACK_CONTEXT = "ch.qos.logback.classic.LoggerContext";

    private LogLevels()
    {
    }

    static boolean isAvailable()
    {
        // By name, so this class never loads logback's classes where logback is absent.
        return LOGBACK_CONTEXT.equals(LoggerFactory.getILoggerFactory().getClass().getName());
    }

    /**
     * @param loggerName a logger, e.g. {@code io.xin.core.net}, or {@code ROOT}.
     * @return the effective level, then the configured one in brackets when it is inherited.
     */
    static String describe(final String loggerName)
    {
        final Logger logger = logger(loggerName);
        return logger.getName() + " " + logger.getEffectiveLevel() +
            (logger.getLevel() == null ? " (inherited)" : "");
    }

    /**
     * @param loggerName a logger, e.g. {@code io.xin.core.net}, or {@code ROOT}.
     * @param levelName  TRACE, DEBUG, INFO, WARN, ERROR, OFF, or INHERIT to follow the parent again.
     * @return the new description.
     * @throws IllegalArgumentException when the level is unknown.
     */
    static String set(final String loggerName, final String levelName)
    {
        final Logger logger = logger(loggerName);
        if ("INHERIT".equalsIgnoreCase(levelName) && !Logger.ROOT_LOGGER_NAME.equalsIgnoreCase(logger.getName()))
        {
            logger.setLevel(null);
        }
        else
        {
            final Level level = Level.toLevel(levelName, null);
            if (level == null)
            {
                throw new IllegalArgumentException("level must be TRACE, DEBUG, INFO, WARN, ERROR, OFF or INHERIT: " +
                    levelName);
            }
            logger.setLevel(level);
        }
        return describe(loggerName);
    }

    private static Logger logger(final String loggerName)
    {
        if (loggerName == null || loggerName.isBlank() || loggerName.length() > MAX_LOGGER_NAME_LENGTH)
        {
            throw new IllegalArgumentException("logger must be a logger name of 1.." + MAX_LOGGER_NAME_LENGTH +
                " characters, or ROOT");
        }
        return ((LoggerContext)LoggerFactory.getILoggerFactory()).getLogger(loggerName);
    }
}
