package dev.sdj.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits one string of options into words as a POSIX shell would for plain words: blanks separate them, single quotes
 * keep everything literal, double quotes keep blanks, a backslash escapes the next character. No expansion of any kind.
 */
final class ShellWords {
    private ShellWords() {
    }

    /** @throws IllegalArgumentException naming the unclosed quote or trailing backslash */
    static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < text.length() && "\"\\$`".indexOf(text.charAt(i + 1)) >= 0) {
                    word.append(text.charAt(++i));
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\') {
                if (i + 1 == text.length()) {
                    throw new IllegalArgumentException("a backslash ends '" + text + "'");
                }
                word.append(text.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unclosed " + quote + " in '" + text + "'");
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
