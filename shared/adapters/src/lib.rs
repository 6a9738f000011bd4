
pub mod eventbridge;
pub mod local_dir;
pub mod ses;
