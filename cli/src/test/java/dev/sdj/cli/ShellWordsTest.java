package dev.sdj.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ShellWordsTest {
    @Test
    void blanksSeparateWordsAndQuotesOrBackslashesKeepThem() {
        assertEquals(List.of("--placement", "streamed", "--max-vram", "500M"), ShellWords.split("  --placement streamed\t--max-vram 500M "));
        assertEquals(List.of("--lora", "my loras/a b.safetensors:0.5"), ShellWords.split("--lora 'my loras/a b.safetensors:0.5'"));
        assertEquals(List.of("--lora", "x \"y\" $z"), ShellWords.split("--lora \"x \\\"y\\\" \\$z\""));
        assertEquals(List.of("a b", ""), ShellWords.split("a\\ b ''"));
        assertEquals(List.of(), ShellWords.split("   "));
    }

    @Test
    void anUnclosedQuoteOrATrailingBackslashIsRefusedNamingTheText() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ShellWords.split("--lora 'a b")).getMessage().contains("unclosed '"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ShellWords.split("--x \\")).getMessage().contains("backslash"));
    }
}
