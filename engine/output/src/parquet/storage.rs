//! Where finished files go: a trait that stores one whole object at a key, and the
//! local folder that implements it. The writer encodes a file completely before it
//! hands it over, so a store never holds part of a file under its final name.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Stores finished objects under `/`-separated relative keys (such as
/// [`LakeKey::object_key`](super::LakeKey::object_key)).
pub trait Storage {
    /// What names a stored object for the user: a path for a local folder, a URL for an
    /// object store.
    type Location;

    /// Stores `object` whole at `key`, replacing what the key held: a reader sees the
    /// previous object or this one, never part of either. An object store may send a
    /// large object in parts (a multipart upload) as long as it appears only once whole.
    /// The object is handed over, so a store that sends it later needs no copy.
    fn put(&self, key: &str, object: Vec<u8>) -> io::Result<Self::Location>;
}

impl<S: Storage + ?Sized> Storage for &S {
    type Location = S::Location;

    fn put(&self, key: &str, object: Vec<u8>) -> io::Result<Self::Location> {
        (**self).put(key, object)
    }
}

/// A local folder: each object is written beside its final name and renamed into place.
#[derive(Debug, Clone)]
pub struct LocalDir {
    root: PathBuf,
}

/// An output folder that cannot hold files: it is (or is inside) a file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: the output folder is (or is inside) a file, not a folder")]
pub struct NotAFolder {
    pub path: PathBuf,
}

impl LocalDir {
    /// A store under `root`, refused at once when `root` is or is inside a file (found
    /// before any event is read). Missing folders are made as objects are stored.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, NotAFolder> {
        let root = root.into();
        if let Some(file) = root.ancestors().find(|p| p.is_file()) {
            return Err(NotAFolder {
                path: file.to_owned(),
            });
        }
        Ok(LocalDir { root })
    }

    /// The path an object key names under this folder.
    pub fn path(&self, key: &str) -> PathBuf {
        key.split('/')
            .filter(|c| !c.is_empty())
            .fold(self.root.clone(), |p, c| p.join(c))
    }
}

impl Storage for LocalDir {
    type Location = PathBuf;

    fn put(&self, key: &str, object: Vec<u8>) -> io::Result<PathBuf> {
        let path = self.path(key);
        if let Some(dir) = path.parent() {
            create_dir(dir)?;
        }
        // Written beside and renamed, so a reader never sees half a file.
        let mut tmp = path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut file = File::create(&tmp).map_err(|e| at(&tmp, "cannot create", &e))?;
        file.write_all(&object)
            .map_err(|e| at(&tmp, "cannot write", &e))?;
        drop(file);
        std::fs::rename(&tmp, &path)
            .map_err(|e| at(&path, "cannot rename the finished file to", &e))?;
        Ok(path)
    }
}

/// Creates a folder; an error names the path that failed: the part of the path that
/// exists but is not a folder, or else the folder that could not be made.
fn create_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        let not_a_folder = dir
            .ancestors()
            .find(|p| p.exists() && !p.is_dir() && !p.as_os_str().is_empty());
        if let Some(file) = not_a_folder {
            return io::Error::new(
                e.kind(),
                format!(
                    "{}: is a file, not a folder (needed for {})",
                    file.display(),
                    dir.display()
                ),
            );
        }
        // The outermost folder that is missing is the one that could not be made.
        let missing = dir
            .ancestors()
            .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
            .last()
            .unwrap_or(dir);
        at(missing, "cannot create the folder", &e)
    })
}

/// An I/O error that names its path.
fn at(path: &Path, what: &str, e: &io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_land_at_their_key_whole_and_replace_the_previous_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path().join("out")).unwrap();
        let path = store
            .put("ext/s/region=r/a.parquet", b"first".to_vec())
            .unwrap();
        assert_eq!(path, dir.path().join("out/ext/s/region=r/a.parquet"));
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        store
            .put("ext/s/region=r/a.parquet", b"second".to_vec())
            .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        // Nothing is left beside it.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.parquet"]);
    }

    #[test]
    fn a_folder_in_the_way_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let err = LocalDir::new(file.join("below")).unwrap_err();
        assert_eq!(err.path, file);
        // A file where a partition folder goes: named when the object is stored.
        std::fs::create_dir(dir.path().join("out")).unwrap();
        std::fs::write(dir.path().join("out/ext"), "x").unwrap();
        let store = LocalDir::new(dir.path().join("out")).unwrap();
        let err = store
            .put("ext/s/a.parquet", b"x".to_vec())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!(
                "{}: is a file, not a folder",
                dir.path().join("out/ext").display()
            )),
            "{err}"
        );
    }

    #[test]
    fn a_store_can_be_lent() {
        struct Count(std::cell::Cell<usize>);
        fn store_in<S: Storage<Location = usize>>(s: S) -> usize {
            s.put("b", b"de".to_vec()).unwrap()
        }
        impl Storage for Count {
            type Location = usize;
            fn put(&self, _: &str, object: Vec<u8>) -> io::Result<usize> {
                self.0.set(self.0.get() + object.len());
                Ok(self.0.get())
            }
        }
        let count = Count(0.into());
        let lent: &dyn Storage<Location = usize> = &count;
        assert_eq!(lent.put("a", b"abc".to_vec()).unwrap(), 3);
        assert_eq!(store_in(&count), 5, "a reference is a store too");
    }
}
