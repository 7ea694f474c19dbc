package io.xin.social.discovery;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

final class PhoneNumbersTest
{
    @Test
    void shouldGiveOneFormToEverySpellingOfANumber()
    {
        final String expected = "+8613800138000";
        for (final String spelling : new String[]{ "+86 138 0013 8000", "+86-138-0013-8000", "0086 13800138000",
            "13800138000", "138 0013 8000", "(+86) 138.0013.8000", "tel:+8613800138000", " +8613800138000 ",
            "\uFF0B\uFF18\uFF16\uFF11\uFF13\uFF18\uFF10\uFF10\uFF11\uFF13\uFF18\uFF10\uFF10\uFF10",
            "+86\u00A0138\u00A000138000" })
        {
            assertEquals(expected, PhoneNumbers.normalize(spelling, "86"), spelling);
        }
    }

    @Test
    void shouldDropTheTrunkPrefixOfNationalNumbers()
    {
        assertEquals("+861065529988", PhoneNumbers.normalize("(010) 6552-9988", "86"));
        assertEquals("+442079460958", PhoneNumbers.normalize("020 7946 0958", "44"));
        assertEquals("+4930123456", PhoneNumbers.normalize("030 123456", "49"));
        assertEquals("+12025550143", PhoneNumbers.normalize("1 (202) 555-0143", "1"));
        assertEquals("+12025550143", PhoneNumbers.normalize("202-555-0143", "1"));
        assertEquals("+79161234567", PhoneNumbers.normalize("8 916 123-45-67", "7"));
        // Italy keeps the 0 of its landlines.
        assertEquals("+390612345678", PhoneNumbers.normalize("06 1234 5678", "39"));
    }

    @Test
    void shouldReadInternationalPrefixes()
    {
        assertEquals("+442079460958", PhoneNumbers.normalize("00 44 20 7946 0958", "86"));
        assertEquals("+442079460958", PhoneNumbers.normalize("011 44 20 7946 0958", "1"));
        assertEquals("+442079460958", PhoneNumbers.normalize("+44 20 7946 0958", "1"));
    }

    @Test
    void shouldRefuseWhatIsNotANumber()
    {
        assertNull(PhoneNumbers.normalize(null, "86"));
        assertNull(PhoneNumbers.normalize("", "86"));
        assertNull(PhoneNumbers.normalize("+", "86"));
        assertNull(PhoneNumbers.normalize("10086", "86"), "a short code");
        assertEquals("+8610086", PhoneNumbers.normalize("+86 10086", "86"), "written in full, it is taken");
        assertNull(PhoneNumbers.normalize("110", "86"));
        assertNull(PhoneNumbers.normalize("+86 138 0013 8000 ext 12", "86"));
        assertNull(PhoneNumbers.normalize("+86 138 0013 8000;ext=12", "86"));
        assertNull(PhoneNumbers.normalize("86+13800138000", "86"));
        assertNull(PhoneNumbers.normalize("++8613800138000", "86"));
        assertNull(PhoneNumbers.normalize("+1234567890123456", "86"), "16 digits");
        assertNull(PhoneNumbers.normalize("+0123456789", "86"), "a country code does not start with 0");
        assertNull(PhoneNumbers.normalize("1-800-FLOWERS", "1"));
        assertNull(PhoneNumbers.normalize("12345678901234567890123", "86"));
    }

    @Test
    void shouldRefuseABadDefaultCountryCode()
    {
        assertThrows(IllegalArgumentException.class, () -> PhoneNumbers.normalize("13800138000", "+86"));
        assertThrows(IllegalArgumentException.class, () -> PhoneNumbers.normalize("13800138000", "0"));
        assertThrows(IllegalArgumentException.class, () -> PhoneNumbers.normalize("13800138000", "8612"));
        assertThrows(IllegalArgumentException.class, () -> PhoneNumbers.normalize("13800138000", ""));
    }
}
