package dev.sdj.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** An I/O failure in words that name the file and say what went wrong, without the exception's class name. */
final class IoErrors {
    private IoErrors() {
    }

    static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            String what;
            if (f instanceof AccessDeniedException) {
                what = "permission denied";
            } else if (f instanceof NoSuchFileException) {
                what = "no such file or directory";
            } else if (f instanceof NotDirectoryException) {
                what = "not a directory";
            } else if (f instanceof FileAlreadyExistsException) {
                what = "already exists";
            } else {
                what = f.getReason() != null ? f.getReason() : "cannot be accessed";
            }
            return f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + what;
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
