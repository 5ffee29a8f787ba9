package dev.sdj.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class GenerationRequestTest {

    @Test
    void aNulInThePromptIsRefusedWhenBuilt() {
        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                () -> GenerationRequest.builder("a cat\0").build());
        assertEquals("the prompt contains a NUL character at index 5", e.getMessage());
    }

    @Test
    void aLoneSurrogateInTheNegativePromptIsRefusedWhenBuilt() {
        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                () -> GenerationRequest.builder("a cat").negativePrompt("fog \uD83D").build());
        assertTrue(e.getMessage().startsWith("the negative prompt contains a lone UTF-16 surrogate (U+D83D) at index 4"), e.getMessage());
        assertThrows(InvalidRequestException.class, () -> GenerationRequest.builder("\uDC00 reversed \uD83D").build());
    }

    @Test
    void pairedSurrogatesAndOtherUnicodeAreAccepted() {
        GenerationRequest r = GenerationRequest.builder("a cat \uD83D\uDC31, 猫, tab\there").negativePrompt("\uD83C\uDF2B").build();
        assertEquals("a cat \uD83D\uDC31, 猫, tab\there", r.prompt());
    }
}
