package io.xin.social.discovery;

/**
 * A strict E.164 normaliser for address-book entries, without a numbering-plan database: it keeps digits (any
 * script's, so full-width digits count), drops the usual separators, reads {@code +} or the international prefix
 * {@code 00} ({@code 011} where the default country code is 1) as a country code to follow, and otherwise prefixes
 * the default country code after dropping a trunk prefix ({@code 0}; {@code 1} for an 11-digit number in North
 * America; {@code 8} for an 11-digit number in Russia and Kazakhstan; none in Italy, where the leading 0 is part of
 * the number). Anything else (letters, extensions, a {@code +} inside) makes the entry unusable: better no match
 * than a wrong one.
 * <p>
 * The result is {@code "+"} and 7 to 15 digits (at least 6 after the country code when none was written), the
 * first not 0: the PRF input, as UTF-8. Two spellings of one
 * number give the same result, so they find the same user. What it cannot know without a numbering plan: whether
 * the number exists, and national rules beyond the trunk prefixes above.
 * <p>
 * Stateless and thread-safe.
 */
public final class PhoneNumbers
{
    /** E.164: at most 15 digits, country code included. */
    public static final int MAX_DIGITS = 15;
    /** The shortest numbers in service (a 3-digit country code and a 4-digit subscriber number). */
    public static final int MIN_DIGITS = 7;
    /**
     * A number written without a country code needs this many digits after its trunk prefix: shorter ones are
     * service short codes ({@code 10086}, {@code 110}), which name no subscriber.
     */
    public static final int MIN_NATIONAL_DIGITS = 6;

    private PhoneNumbers()
    {
    }

    /**
     * @param raw                an entry as typed or stored, e.g. {@code "(010) 6552-9988"}, {@code "+86 138 0013
     *                           8000"}, {@code "0086 13800138000"}.
     * @param defaultCountryCode the country code of numbers written without one, digits only, e.g. {@code "86"}.
     * @return the number as {@code "+8613800138000"}, or null when the entry is not a usable number.
     * @throws IllegalArgumentException when the default country code is not 1 to 3 digits, the first not 0.
     */
    public static String normalize(final String raw, final String defaultCountryCode)
    {
        checkCountryCode(defaultCountryCode);
        if (raw == null)
        {
            return null;
        }
        final String text = raw.strip();
        final StringBuilder digits = new StringBuilder(MAX_DIGITS + 4);
        boolean plus = false;
        final int start = text.regionMatches(true, 0, "tel:", 0, 4) ? 4 : 0;
        for (int i = start; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            final int digit = Character.digit(c, 10);
            if (digit >= 0)
            {
                digits.append((char)('0' + digit));
            }
            else if ((c == '+' || c == '\uFF0B') && digits.length() == 0 && !plus)
            {
                plus = true;
            }
            else if (!isSeparator(c))
            {
                return null;
            }
            if (digits.length() > MAX_DIGITS + 3)
            {
                return null;
            }
        }
        final String national;
        final String international;
        if (plus)
        {
            international = digits.toString();
            national = null;
        }
        else if (digits.length() > 2 && digits.charAt(0) == '0' && digits.charAt(1) == '0')
        {
            international = digits.substring(2);
            national = null;
        }
        else if ("1".equals(defaultCountryCode) && digits.length() > 3 && digits.indexOf("011") == 0)
        {
            international = digits.substring(3);
            national = null;
        }
        else
        {
            international = null;
            national = withoutTrunkPrefix(digits.toString(), defaultCountryCode);
            if (national.length() < MIN_NATIONAL_DIGITS)
            {
                return null;
            }
        }
        final String number = international != null ? international : defaultCountryCode + national;
        if (number.length() < MIN_DIGITS || number.length() > MAX_DIGITS || number.charAt(0) == '0')
        {
            return null;
        }
        return "+" + number;
    }

    private static String withoutTrunkPrefix(final String digits, final String countryCode)
    {
        if (digits.isEmpty())
        {
            return digits;
        }
        final char first = digits.charAt(0);
        return switch (countryCode)
        {
            // Italy (and San Marino, the Vatican) dial the 0 of landlines within the number.
            case "39", "378", "379" -> digits;
            case "1" -> first == '1' && digits.length() == 11 ? digits.substring(1) : digits;
            case "7" -> first == '8' && digits.length() == 11 ? digits.substring(1) : digits;
            default -> first == '0' ? digits.substring(1) : digits;
        };
    }

    private static boolean isSeparator(final char c)
    {
        return c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || Character.isWhitespace(c) ||
            Character.isSpaceChar(c) || c == '\u2010' || c == '\u2011' || c == '\u2012' || c == '\u2013' ||
            c == '\u2212' || c == '\uFF08' || c == '\uFF09' || c == '\uFF0D' || c == '\u30FC';
    }

    private static void checkCountryCode(final String code)
    {
        if (code == null || code.isEmpty() || code.length() > 3 || code.charAt(0) == '0')
        {
            throw new IllegalArgumentException("a country calling code is 1 to 3 digits, the first not 0: " + code);
        }
        for (int i = 0; i < code.length(); i++)
        {
            if (code.charAt(i) < '0' || code.charAt(i) > '9')
            {
                throw new IllegalArgumentException("a country calling code is digits only: " + code);
            }
        }
    }
}
