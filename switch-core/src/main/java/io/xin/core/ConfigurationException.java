package io.xin.core;

/**
 * A setting's value is invalid. Carries the {@link Setting}, so a caller reports it under the setting's own
 * name (the daemon: its flag, environment variable and config key) without parsing the message. The message
 * starts with the setting's name in {@link XinSwitch.Context} ({@code maxFrameLengthBytes must be at least 256:
 * 12}).
 */
public final class ConfigurationException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    /** Not serialised: an enum constant is looked up again by name. */
    private final transient Setting setting;

    /**
     * @param setting the invalid setting.
     * @param message what is wrong, starting with the setting's name.
     */
    public ConfigurationException(final Setting setting, final String message)
    {
        super(message);
        this.setting = setting;
    }

    /**
     * @param setting the invalid setting.
     * @param message what is wrong, starting with the setting's name.
     * @param cause   the failure that showed it.
     */
    public ConfigurationException(final Setting setting, final String message, final Throwable cause)
    {
        super(message, cause);
        this.setting = setting;
    }

    /**
     * @return the invalid setting.
     */
    public Setting setting()
    {
        return setting;
    }
}
