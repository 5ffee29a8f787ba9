package dev.sdj.cli;

import picocli.CommandLine;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses sizes such as 2G, 1500M, 512MiB, 1.5GB or 4096B (binary units, any case); a bare number is GiB, as
 * stable-diffusion.cpp's --max-vram reads it. Strict: anything else, a size below one byte, or one beyond a long is
 * refused, so that "100d" or "1e400" never becomes a silent cap.
 */
final class ByteSize implements CommandLine.ITypeConverter<Long> {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(I?B)?");
    private static final Map<String, Long> UNITS = Map.of("", 1L, "K", 1L << 10, "M", 1L << 20, "G", 1L << 30, "T", 1L << 40);
    private static final String BARE_NUMBER_UNIT = "G";

    @Override
    public Long convert(String value) {
        Matcher m = SIZE.matcher(value.trim().toUpperCase(Locale.ROOT));
        // "IB" without a unit letter (e.g. "5iB") is no size.
        if (!m.matches() || (m.group(2).isEmpty() && "IB".equals(m.group(3)))) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a size: use a number with an optional "
                    + "unit B, K, M, G or T (binary; KB/KiB spellings too; none means G), e.g. 2G, 1500M, 800MiB or 4");
        }
        String unit = m.group(2).isEmpty() && m.group(3) == null ? BARE_NUMBER_UNIT : m.group(2);
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(UNITS.get(unit)))
                .setScale(0, RoundingMode.DOWN);
        if (bytes.signum() <= 0) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a positive size");
        }
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new CommandLine.TypeConversionException("'" + value + "' is too large: sizes go up to " + Long.MAX_VALUE + " bytes");
        }
        return bytes.longValueExact();
    }
}
