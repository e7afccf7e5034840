"""Files: upload, list, delete with confirm."""

from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User

from core import files
from core.permissions import Actor
from tests.ui.conftest import SLOW, only, signed_in


async def test_upload_list_and_delete_a_file(user: User, seed) -> None:
    await signed_in(user, seed)
    await user.open('/files')
    await user.should_see('No files yet')
    upload = only(user, ui.upload)
    await upload.handle_uploads([SmallFileUpload('notes.txt', 'text/plain', b'remember the milk')])
    await user.should_see('Uploaded notes.txt', retries=SLOW)
    await user.should_see('text/plain · 17 bytes')
    user.find(marker='delete-notes.txt').click()
    await user.should_see(marker='confirm-yes')
    user.find(marker='confirm-yes').click()
    await user.should_see('Deleted notes.txt', retries=SLOW)
    assert files.list_files(seed, Actor.system()).total == 0


async def test_an_empty_file_is_refused_with_a_reason(user: User, seed) -> None:
    await signed_in(user, seed)
    await user.open('/files')
    await only(user, ui.upload).handle_uploads([SmallFileUpload('empty.txt', 'text/plain', b'')])
    await user.should_see('the file is empty', retries=SLOW)
    assert files.list_files(seed, Actor.system()).total == 0
