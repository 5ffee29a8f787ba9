package dev.sdj.cli;

import picocli.CommandLine;

import java.util.Locale;

/** Parses sizes such as 2G, 1500M, 512MiB or a plain byte count (binary units). */
final class ByteSize implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long unit = 1;
        if (!v.isEmpty()) {
            switch (v.charAt(v.length() - 1)) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                case 'T' -> unit = 1L << 40;
                default -> { }
            }
        }
        String number = unit == 1 ? v : v.substring(0, v.length() - 1);
        try {
            double n = Double.parseDouble(number);
            if (!(n > 0)) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a positive size");
            }
            return (long) (n * unit);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a size such as 2G, 1500M or 800MiB");
        }
    }
}
