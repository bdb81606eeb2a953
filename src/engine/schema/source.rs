//! Where the schema texts come from: the copies embedded in the binary, or a directory
//! given with `--schemas DIR`. Only reads files; compiling is `compile`'s job.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::engine::schema::bundle::SchemaBundle;

use crate::engine::schema::error::SchemaError;

/// Where a schema set was read from, for reports and error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaOrigin {
    Embedded,
    Directory(PathBuf),
}

impl std::fmt::Display for SchemaOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaOrigin::Embedded => f.write_str("embedded"),
            SchemaOrigin::Directory(dir) => write!(f, "{}", dir.display()),
        }
    }
}

/// The text of every schema file, keyed (and so sorted) by file name.
#[derive(Debug, Clone)]
pub(crate) struct SchemaTexts {
    pub(crate) origin: SchemaOrigin,
    pub(crate) files: BTreeMap<&'static str, String>,
}

impl SchemaTexts {
    pub(crate) fn embedded(bundle: &SchemaBundle) -> SchemaTexts {
        SchemaTexts {
            origin: SchemaOrigin::Embedded,
            files: bundle
                .files
                .iter()
                .map(|(name, text)| (*name, (*text).to_owned()))
                .collect(),
        }
    }

    /// Reads every expected file of `dir`; files it does not expect are ignored.
    pub(crate) fn read_dir(dir: &Path, bundle: &SchemaBundle) -> Result<SchemaTexts, SchemaError> {
        if !dir.is_dir() {
            return Err(SchemaError::NotADirectory {
                dir: dir.to_path_buf(),
            });
        }
        let mut files = BTreeMap::new();
        for file in bundle.file_names() {
            let path = dir.join(file);
            if !path.is_file() {
                return Err(SchemaError::Missing {
                    file: file.to_owned(),
                    dir: dir.to_path_buf(),
                });
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|source| SchemaError::Unreadable { path, source })?;
            files.insert(file, text);
        }
        Ok(SchemaTexts {
            origin: SchemaOrigin::Directory(dir.to_path_buf()),
            files,
        })
    }

    /// A short sha256 of the file names and contents, in file-name order.
    pub(crate) fn version(&self) -> String {
        let mut hasher = Sha256::new();
        for (name, text) in &self.files {
            hasher.update(name.as_bytes());
            hasher.update([0u8]);
            hasher.update(text.as_bytes());
            hasher.update([0u8]);
        }
        let digest = hasher.finalize();
        digest
            .iter()
            .take(6)
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}
