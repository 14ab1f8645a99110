//! AWS IoT SQL: parser and pretty-printer.
