package dev.sdj.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.*;

class ByteSizeTest {
    private final ByteSize size = new ByteSize();

    @Test
    void acceptsNumbersWithABinaryUnitInAnySpelling() {
        assertEquals(2L << 30, size.convert("2G"));
        assertEquals(1500L << 20, size.convert("1500M"));
        assertEquals(800L << 20, size.convert("800MiB"));
        assertEquals(3L << 29, size.convert("1.5gb"));
        assertEquals(512L, size.convert("512B"));
        assertEquals(1L << 40, size.convert(" 1 T "));
    }

    @Test
    void aBareNumberIsGibibytesAsInStableDiffusionCpp() {
        assertEquals(4L << 30, size.convert("4"));
        assertEquals(3L << 29, size.convert("1.5"));
    }

    @Test
    void refusesAnUnknownUnitInsteadOfReadingBytes() {
        for (String bad : new String[]{"100d", "2X", "5iB", "G", "", "1.5.2G", "-2G", "+2G", "0x10", "2 G B", "NaN", "Infinity"}) {
            CommandLine.TypeConversionException e = assertThrows(CommandLine.TypeConversionException.class, () -> size.convert(bad), bad);
            assertTrue(e.getMessage().contains("is not a size"), e.getMessage());
        }
    }

    @Test
    void refusesExponentsAndOverflowInsteadOfMeaningNoCap() {
        assertTrue(assertThrows(CommandLine.TypeConversionException.class, () -> size.convert("1e400")).getMessage().contains("is not a size"));
        assertTrue(assertThrows(CommandLine.TypeConversionException.class, () -> size.convert("9000000000T")).getMessage().contains("too large"));
        assertTrue(assertThrows(CommandLine.TypeConversionException.class, () -> size.convert("99999999999999999999")).getMessage().contains("too large"));
    }

    @Test
    void refusesSizesBelowOneByte() {
        assertTrue(assertThrows(CommandLine.TypeConversionException.class, () -> size.convert("0")).getMessage().contains("not a positive size"));
        assertTrue(assertThrows(CommandLine.TypeConversionException.class, () -> size.convert("0.4B")).getMessage().contains("not a positive size"));
    }

    @Test
    void theCommandLineReportsABadSizeAsAUsageError() {
        CliRun r = CliRun.of("plan", "--model", "x.safetensors", "--max-vram", "100d");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'100d' is not a size"), r.err());
    }
}
