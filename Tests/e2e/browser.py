"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium, for the page tests."""
import os
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import REPO

SCREENSHOTS = REPO / "test-output" / "screenshots"


def chromium(width=1100, height=900):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 f"--window-size={width},{height}", "--lang=en-US"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(0)
    if width < 500:  # a desktop window cannot be that narrow: emulate a phone's viewport instead
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})
    return driver


class Page:
    def __init__(self, driver, base):
        self.driver, self.base = driver, base

    def wait(self, condition, seconds=10):
        return WebDriverWait(self.driver, seconds, poll_frequency=0.1).until(condition)

    def visible(self, css, seconds=10):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), seconds)

    def text_in(self, css, text, seconds=10):
        return self.wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text), seconds)

    def click(self, css):
        self.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, css))).click()

    def find(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path
