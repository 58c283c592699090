//! Request headers for `download_file` as name and value pairs: NapCat takes each header as
//! one `Name=Value` text and splits it at the first `=` (`GoCQHTTPDownloadFile.getHeaders`),
//! so a pair is written that way. A header name never holds `=` (it is not a token character).

use crate::requests::DownloadFileRequest;
use crate::runtime::Call;

impl DownloadFileRequest {
    /// Adds a request header NapCat sends when it downloads the URL.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .get_or_insert_with(Vec::new)
            .push(format!("{name}={value}"));
        self
    }
}

impl Call<DownloadFileRequest> {
    /// Adds a request header NapCat sends when it downloads the URL (see
    /// [`DownloadFileRequest::header`]).
    pub fn header(self, name: &str, value: &str) -> Self {
        self.map_request(|r| r.header(name, value))
    }
}
