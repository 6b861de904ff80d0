"""Import names whose distribution is called something else, as pipreqs' and deptry's mappings
record them (``yaml`` -> PyYAML). Used when the project has no environment to read metadata
from; a name not here and not in that metadata is never suggested as a distribution."""

from __future__ import annotations

_TABLE = """
yaml PyYAML | PIL Pillow | cv2 opencv-python opencv-python-headless | sklearn scikit-learn
skimage scikit-image | bs4 beautifulsoup4 | dateutil python-dateutil | dotenv python-dotenv
jwt PyJWT | OpenSSL pyOpenSSL | attr attrs | psycopg2 psycopg2 psycopg2-binary
psycopg psycopg psycopg-binary | MySQLdb mysqlclient | Crypto pycryptodome | Cryptodome pycryptodomex
magic python-magic | multipart python-multipart | jose python-jose | slugify python-slugify
docx python-docx | pptx python-pptx | serial pyserial | git GitPython | zmq pyzmq | ldap python-ldap
gi PyGObject | win32api pywin32 | win32con pywin32 | pythoncom pywin32 | fitz PyMuPDF
google.protobuf protobuf | ruamel.yaml ruamel.yaml | pkg_resources setuptools | setuptools setuptools
typing_extensions typing-extensions | Levenshtein python-Levenshtein | jinja2 Jinja2 | markdown Markdown
yaml_include pyyaml-include | pymysql PyMySQL | socks PySocks | websocket websocket-client
nacl PyNaCl | grpc grpcio | github PyGithub | gitlab python-gitlab | telegram python-telegram-bot
discord discord.py | dns dnspython | Xlib python-xlib | usb pyusb | snappy python-snappy
lzo python-lzo | memcache python-memcached | pylibmc pylibmc | consul python-consul
keycloak python-keycloak | msal msal | jenkins python-jenkins | kafka kafka-python
confluent_kafka confluent-kafka | pika pika | nats nats-py | pulsar pulsar-client
elasticsearch elasticsearch | opensearchpy opensearch-py | pymongo pymongo | bson pymongo
gridfs pymongo | motor motor | cassandra cassandra-driver | neo4j neo4j | influxdb_client influxdb-client
clickhouse_driver clickhouse-driver | snowflake snowflake-connector-python
sqlalchemy SQLAlchemy | flask_sqlalchemy Flask-SQLAlchemy | flask_cors Flask-Cors
flask_login Flask-Login | flask_migrate Flask-Migrate | flask_wtf Flask-WTF | wtforms WTForms
rest_framework djangorestframework | corsheaders django-cors-headers | environ django-environ
debug_toolbar django-debug-toolbar | django_filters django-filter | storages django-storages
celery celery | kombu kombu | dask dask | distributed distributed | sentry_sdk sentry-sdk
newrelic newrelic | ddtrace ddtrace | prometheus_client prometheus-client | structlog structlog
pydantic_settings pydantic-settings | multidict multidict | aiohttp aiohttp | httpx httpx
requests_oauthlib requests-oauthlib | oauthlib oauthlib | jwcrypto jwcrypto | itsdangerous itsdangerous
werkzeug Werkzeug | markupsafe MarkupSafe | click click | typer typer | rich rich | tqdm tqdm
dateparser dateparser | pytz pytz | tzlocal tzlocal | babel Babel | lxml lxml | xmltodict xmltodict
openpyxl openpyxl | xlrd xlrd | xlsxwriter XlsxWriter | pandas pandas | numpy numpy | scipy scipy
matplotlib matplotlib | mpl_toolkits matplotlib | seaborn seaborn | plotly plotly | torch torch
tensorflow tensorflow | keras keras | transformers transformers | sentence_transformers sentence-transformers
huggingface_hub huggingface-hub | openai openai | anthropic anthropic | tiktoken tiktoken
langchain langchain | langchain_core langchain-core | langchain_openai langchain-openai
boto3 boto3 | botocore botocore boto3 | s3transfer s3transfer | aiobotocore aiobotocore
azure azure-core | msrest msrest | stripe stripe | twilio twilio | sendgrid sendgrid
mailchimp3 mailchimp3 | slack_sdk slack-sdk | slack slackclient | jira jira | redis redis
ujson ujson | orjson orjson | simplejson simplejson | msgpack msgpack | cbor2 cbor2
Image Pillow | ImageDraw Pillow | cairo pycairo | wx wxPython | PyQt5 PyQt5 | PySide6 PySide6
paho paho-mqtt | Bio biopython | nltk nltk | spacy spacy | gensim gensim | shapely shapely
osgeo GDAL | pyproj pyproj | geopandas geopandas | igraph igraph python-igraph
pydantic pydantic | fastapi fastapi | starlette starlette | uvicorn uvicorn | gunicorn gunicorn
"""

#: import name (a dotted prefix for namespace packages) -> distribution names, most likely first
IMPORT_NAMES: dict[str, tuple[str, ...]] = {
    words[0]: tuple(words[1:])
    for entry in _TABLE.replace("\n", " | ").split("|")
    if len(words := entry.split()) >= 2
}
#: top-level packages shared by many distributions: ``google.cloud.storage`` comes from
#: google-cloud-storage, ``opentelemetry`` from opentelemetry-api, -sdk, -exporter-...
NAMESPACE_PACKAGES = frozenset(
    {"google", "azure", "opentelemetry", "zope", "jaraco", "backports", "sphinxcontrib", "ruamel", "oslo"}
)
