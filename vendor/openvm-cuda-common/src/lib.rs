pub mod common;
pub mod copy;
pub mod d_buffer;
pub mod error;
pub mod memory_manager;
pub mod pinned;
pub mod stream;
