//! Request headers for `download_file` one at a time, beside the generated `headers` setter
//! that takes them all.

use crate::requests::DownloadFileRequest;
use crate::runtime::Call;
use crate::wire::header::Header;

impl DownloadFileRequest {
    /// Adds a request header NapCat sends when it downloads the URL.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers
            .get_or_insert_with(Vec::new)
            .push(Header::new(name, value));
        self
    }
}

impl Call<DownloadFileRequest> {
    /// Adds a request header NapCat sends when it downloads the URL (see
    /// [`DownloadFileRequest::header`]).
    pub fn header(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.map_request(|r| r.header(name, value))
    }
}
