// Package filesystem is the local-disk storage driver of berth-registry: it
// implements driver.Driver with one host file per driver path under a root
// directory.
//
// Durability: PutContent writes a temp file in <root>/.tmp, fsyncs it,
// renames it into place and fsyncs the directory; Move is a rename plus a
// directory fsync; a Writer's Commit fsyncs the file (writeback of large
// uploads is started every 8 MiB with sync_file_range so the final fsync is
// short). So a content-addressed blob appears whole or not at all, after a
// kill -9 or a power loss. Options.NoSync drops the fsyncs (atomicity
// against process crashes remains).
//
// Reader returns the *os.File itself, so net/http serves blobs with
// sendfile(2).
//
// Imports: errdefs, storage/driver, x/sys/unix.
package filesystem
